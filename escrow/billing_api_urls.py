"""API routes for fee bills, payments in, imports, suspense and the payment webhook."""

urlpatterns: list = []
