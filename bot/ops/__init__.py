"""Operations: the process supervisor, the CLI, batch imports and migrations."""
