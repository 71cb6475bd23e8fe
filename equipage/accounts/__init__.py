"""Member accounts: the model, passwords, login, tokens, ownership."""
