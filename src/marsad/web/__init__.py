"""The web app of ``marsad serve`` (:mod:`marsad.web.app`), a shell over :mod:`marsad.review`."""
