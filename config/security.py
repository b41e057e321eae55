"""A Content Security Policy on every response: scripts only from the site's own files.

No page of the platform has an inline script (the live pages' words travel as JSON
data), so an answer, a prompt or a comment that smuggles a <script> cannot run even if
it ever escaped the sanitizer. Inline styles stay allowed (the result bars' widths).
"""

from django.conf import settings


def policy(image_hosts: list[str], frame_ancestors: str = "'none'") -> str:
    # Images: the site's own, and the slide images' hosts that the deployment allows
    # (SLIDE_IMAGE_HOSTS, workshop/slide_images.py), never any https host.
    images = " ".join(["'self'", "data:", *(f"https://{host}" for host in image_hosts)])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src {images}",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = policy(settings.SLIDE_IMAGE_HOSTS)
        # A page that the platform's own pages may frame (Django's xframe_options_sameorigin:
        # the presenter screen, as the panel's miniature) says so in both headers.
        self.framed_policy = policy(settings.SLIDE_IMAGE_HOSTS, frame_ancestors="'self'")

    def __call__(self, request):
        response = self.get_response(request)
        framed = response.get("X-Frame-Options") == "SAMEORIGIN"
        response.headers.setdefault(
            "Content-Security-Policy", self.framed_policy if framed else self.policy
        )
        return response
