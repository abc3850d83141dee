"""Reading report files, extracting their metadata and passages, and writing the index (`fazhi` CLI)."""
