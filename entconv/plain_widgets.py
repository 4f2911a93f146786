"""Form widgets that write their HTML in Python: the same markup as Django's templates.

Django renders each widget through its own template (input.html, which includes attrs.html):
about 0.2 ms a field, a third of the time the mairie's confirmation page takes to render
(bench/confirmation_cpu.py). These write the exact markup of Django's templates, as
tests/test_plain_widgets.py checks against them. A widget given another template name goes
through the template as usual.
"""

import html

from django import forms
from django.utils.safestring import mark_safe


def conditional_escape(value):
    """django.utils.html.conditional_escape() without its lazy-string wrapper: the same text
    (a safe string as it is, anything else through html.escape), in two calls instead of
    about fifteen. Its result is a plain str: mark the whole markup safe once."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def attributes(attrs):
    # django/forms/widgets/attrs.html: False leaves the attribute out, True writes its name.
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {conditional_escape(name)}")
        if value is not True:
            parts.append(f'="{conditional_escape(value)}"')
    return "".join(parts)


class PlainRendering:
    def _render(self, template_name, context, renderer=None):
        if template_name != type(self).template_name:
            return super()._render(template_name, context, renderer)
        return mark_safe(self.html(context["widget"]))


class PlainInput(PlainRendering):
    def html(self, widget):
        # django/forms/widgets/input.html
        value = (
            "" if widget["value"] is None else f' value="{conditional_escape(widget["value"])}"'
        )
        return (
            f'<input type="{conditional_escape(widget["type"])}" '
            f'name="{conditional_escape(widget["name"])}"{value}{attributes(widget["attrs"])}>'
        )


class TextInput(PlainInput, forms.TextInput):
    pass


class HiddenInput(PlainInput, forms.HiddenInput):
    pass


class Textarea(PlainRendering, forms.Textarea):
    def html(self, widget):
        # django/forms/widgets/textarea.html
        value = conditional_escape(widget["value"]) if widget["value"] else ""
        return (
            f'<textarea name="{conditional_escape(widget["name"])}"'
            f"{attributes(widget['attrs'])}>\n{value}</textarea>"
        )
