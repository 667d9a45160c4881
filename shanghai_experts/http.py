def client_ip(request) -> str | None:
    """The address the request came from (REMOTE_ADDR; a proxy must set it correctly)."""
    return request.META.get("REMOTE_ADDR") or None
