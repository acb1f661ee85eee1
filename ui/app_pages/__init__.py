"""One module per page; each reads like a description of what the page shows."""
