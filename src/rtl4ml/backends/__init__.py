"""Code generators: each backend turns a planned design into an in-memory FileTree."""
