"""What two references show alike: a credential field's definition (never a value)."""

from __future__ import annotations

from connections.catalogue.manifest import CredentialField
from connections_contracts.catalogue import CredentialFieldView


def credential_view(field: CredentialField) -> CredentialFieldView:
    return CredentialFieldView(name=field.name, label=field.label, secret=field.secret, required=field.required,
                               description=field.description)
