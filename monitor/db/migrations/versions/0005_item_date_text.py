"""items.date_text: the source's own date string when it could not be read as a real date

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 01:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('items') as batch:
        batch.add_column(sa.Column('date_text', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('items') as batch:
        batch.drop_column('date_text')
