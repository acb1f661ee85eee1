"""Final documents: a finalised document's bytes as issued, with its fingerprints.

Reviewed by hand: plain SQLAlchemy types (as in the initial revision), JSON
as JSONB on PostgreSQL.

Revision ID: 4ef338763b99
Revises: 7b26004dbc70
Create Date: 2026-12-01 16:52:48.785246
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# JSON on SQLite, JSONB on PostgreSQL (as sfo.store.tables.JSON).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

# revision identifiers, used by Alembic.
revision: str = '4ef338763b99'
down_revision: str | Sequence[str] | None = '7b26004dbc70'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade the schema to this revision."""
    op.create_table('final_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('crn', sa.String(), nullable=True),
    sa.Column('audience', sa.String(), nullable=False),
    sa.Column('format', sa.String(), nullable=False),
    sa.Column('fingerprint', sa.String(), nullable=False),
    sa.Column('file_sha256', sa.String(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('context', JSON, nullable=False),
    sa.Column('created_by', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_final_documents'))
    )
    with op.batch_alter_table('final_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_final_documents_crn'), ['crn'], unique=False)
        batch_op.create_index(batch_op.f('ix_final_documents_object_id'), ['object_id'],
                              unique=False)



def downgrade() -> None:
    """Take the schema back to the revision before."""
    with op.batch_alter_table('final_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_final_documents_object_id'))
        batch_op.drop_index(batch_op.f('ix_final_documents_crn'))

    op.drop_table('final_documents')
