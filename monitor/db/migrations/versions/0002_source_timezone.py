"""sources.timezone: the zone of a source's dates without an offset

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 12:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sources') as batch:
        batch.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sources') as batch:
        batch.drop_column('timezone')
