from django.core.exceptions import PermissionDenied


class RefusedActionMixin:
    """A posted action the user may not run is a 403.

    Django answers an action missing from the user's menu with "no action selected" and a
    redirect, which reads like nothing happened rather than a refusal (and, with no
    permissions declared, runs it). Every action declares its permissions; this makes a
    crafted POST of one the user lacks fail loudly.
    """

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST":
            posted = {name for name in request.POST.getlist("action") if name}
            if posted - set(self.get_actions(request)):
                raise PermissionDenied
        return super().changelist_view(request, extra_context)
