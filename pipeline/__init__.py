"""qmt: batch document translation through Qwen-MT."""

__version__ = "0.1.0"
