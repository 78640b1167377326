"""Jobs, the daily schedule with catch-up, automation and run-failure alerting."""
