"""A Content Security Policy on every response: scripts only from the site's own files.

No page of the platform has an inline script (the live pages' words travel as JSON
data), so an answer, a prompt or a comment that smuggles a <script> cannot run even if
it ever escaped the sanitizer. Inline styles stay allowed (the result bars' widths).
"""

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' https: data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response
