"""Where a segment is translated: backend interface, Qwen-MT backend, worker pool."""
