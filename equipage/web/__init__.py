"""The server-rendered console: thin views over selectors and actions."""
