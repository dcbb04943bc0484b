import os
import socket


class ServedByMiddleware:
    """Names the host that answered in every response (X-Served-By).

    Installed first, so even error pages carry it: load tests through the
    load balancer use it to see which web host served each request.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.served_by = os.environ.get("BERTH_HOST") or socket.gethostname()

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Served-By"] = self.served_by
        return response
