"""Model families of the book, one module each."""
