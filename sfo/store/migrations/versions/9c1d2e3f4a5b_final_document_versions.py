"""Final documents carry the version of what they were issued for.

A reviewed SFO review can be reopened as version 2, 3, ...; each finalised
version issues its own documents, and the earlier ones stay as they were.
Existing rows (early looks, never reopened) are version 1.

Revision ID: 9c1d2e3f4a5b
Revises: 4ef338763b99
Create Date: 2026-12-06 02:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '9c1d2e3f4a5b'
down_revision: str | Sequence[str] | None = '4ef338763b99'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade the schema to this revision."""
    with op.batch_alter_table('final_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False,
                                      server_default='1'))


def downgrade() -> None:
    """Take the schema back to the revision before."""
    with op.batch_alter_table('final_documents', schema=None) as batch_op:
        batch_op.drop_column('version')
