"""readers and their read and starred items; items.sort_at (the time lists sort on) and its indexes

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 09:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import monitor.db.models
from monitor.db.models import RELEVANT_PG, RELEVANT_SQLITE, SORT_AT_SQL

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('readers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('created_at', monitor.db.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', monitor.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('previous_visit_at', monitor.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_readers')),
    sa.UniqueConstraint('name', name=op.f('uq_readers_name'))
    )
    op.create_table('reader_items',
    sa.Column('reader_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('read_at', monitor.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('starred_at', monitor.db.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_reader_items_item_id_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reader_id'], ['readers.id'], name=op.f('fk_reader_items_reader_id_readers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('reader_id', 'item_id', name=op.f('pk_reader_items'))
    )
    op.create_index(op.f('ix_reader_items_item_id'), 'reader_items', ['item_id'], unique=False)
    op.create_index('ix_reader_items_starred', 'reader_items', ['reader_id', 'starred_at'], unique=False)
    # a generated column: SQLite adds it as VIRTUAL (no table rewrite), PostgreSQL as STORED
    stored = op.get_bind().dialect.name == 'postgresql'
    op.add_column('items', sa.Column('sort_at', monitor.db.models.UTCDateTime(timezone=True), sa.Computed(SORT_AT_SQL, persisted=stored), nullable=False))
    op.create_index(op.f('ix_items_sort_at'), 'items', ['sort_at'], unique=False)
    op.create_index('ix_items_relevant_story_sort', 'items', ['story_id', 'sort_at'], unique=False, sqlite_where=sa.text(RELEVANT_SQLITE), postgresql_where=sa.text(RELEVANT_PG))


def downgrade() -> None:
    op.drop_index('ix_items_relevant_story_sort', table_name='items')
    op.drop_index(op.f('ix_items_sort_at'), table_name='items')
    with op.batch_alter_table('items') as batch:
        batch.drop_column('sort_at')
    op.drop_index('ix_reader_items_starred', table_name='reader_items')
    op.drop_index(op.f('ix_reader_items_item_id'), table_name='reader_items')
    op.drop_table('reader_items')
    op.drop_table('readers')
