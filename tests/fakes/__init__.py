"""Local stand-ins for outside services (the WeChat API) used by tests and benchmarks."""
