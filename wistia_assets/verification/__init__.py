"""`wistia-assets deploy verify`: what only the real account can show, checked after a deploy."""
