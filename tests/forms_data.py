"""Build the POST data a browser would send for an application's edit page."""

from applications.forms import ApplicationBundle


def _field_items(form):
    for bf in form:
        value = bf.value()
        widget = bf.field.widget.__class__.__name__
        if widget == "CheckboxInput":
            if value:
                yield bf.html_name, "on"
        elif getattr(bf.field.widget, "allow_multiple_selected", False) and not value:
            continue  # a browser sends nothing when no box is ticked
        elif isinstance(value, list | tuple):
            for item in value:
                yield bf.html_name, str(item)
        elif value is None:
            yield bf.html_name, ""
        else:
            yield bf.html_name, str(value)


def form_data(app, **overrides) -> dict:
    """The edit form of `app` as saved, with `overrides` applied (name → value or list)."""
    bundle = ApplicationBundle(app)
    data: dict[str, object] = {}

    def put(name, value):
        if name in data:
            existing = data[name]
            data[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            data[name] = value

    for name, value in _field_items(bundle.form):
        put(name, value)
    for formset in bundle.formsets.values():
        for name, value in _field_items(formset.management_form):
            put(name, value)
        for row in formset.forms:
            for name, value in _field_items(row):
                put(name, value)
    # multiple-choice fields are lists even with one value
    for key in ("service_forms",):
        if key in data and not isinstance(data[key], list):
            data[key] = [data[key]]
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
