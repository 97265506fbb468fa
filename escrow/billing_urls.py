"""Pages for fee bills, payments in, statement imports and suspense."""

urlpatterns: list = []
