"""The web layer: pages, the JSON API and the middleware around them."""

from booking.web.params import register_convertors

register_convertors()  # before any module of this package declares a route with {…:id}
