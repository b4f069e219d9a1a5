"""Access: users, roles, tokens and scopes, the access policy, break-glass and the hash-chained audit log."""
