from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: by field where it names one, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            target = field if field in form.fields else None
            for message in errors:
                form.add_error(None if field == NON_FIELD_ERRORS else target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def flash_form_errors(request: HttpRequest, form: forms.BaseForm) -> None:
    """Show an invalid form's errors as messages (for POST-and-redirect actions): "Label: message"."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for message in errors:
            messages.error(request, f"{label}: {message}" if label else str(message))


def flash_service_errors(request: HttpRequest, error: ValidationError) -> None:
    """Show a service's ValidationError as messages (for POST-and-redirect actions)."""
    for message in error.messages:
        messages.error(request, message)
