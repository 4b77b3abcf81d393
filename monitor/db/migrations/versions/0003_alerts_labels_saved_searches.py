"""saved searches, alerts, per-target sends and reviewer labels

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-10 12:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import monitor.db.models

UTCDateTime = monitor.db.models.UTCDateTime

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'saved_searches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('query', sa.Text(), nullable=False),
        sa.Column('filters', sa.JSON(), nullable=False),
        sa.Column('feed_token', sa.String(length=64), nullable=False),
        sa.Column('mode', sa.String(length=16), nullable=False),
        sa.Column('address', sa.String(length=320), nullable=True),
        sa.Column('schedule', sa.String(length=100), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('created_by', sa.String(length=120), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_searches')),
        sa.UniqueConstraint('name', name=op.f('uq_saved_searches_name')),
        sa.UniqueConstraint('feed_token', name=op.f('uq_saved_searches_feed_token')),
    )
    op.create_table(
        'alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recipient', sa.String(length=200), nullable=False),
        sa.Column('story_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.JSON(), nullable=False),
        sa.Column('outlets', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('not_before', UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('sent_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('message_id', sa.String(length=320), nullable=False),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('text_path', sa.Text(), nullable=True),
        sa.Column('eml_path', sa.Text(), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
        sa.UniqueConstraint('message_id', name=op.f('uq_alerts_message_id')),
    )
    op.create_index(op.f('ix_alerts_recipient'), 'alerts', ['recipient'])
    op.create_index(op.f('ix_alerts_status'), 'alerts', ['status'])
    op.create_table(
        'alert_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('alert_id', sa.Integer(), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['alert_id'], ['alerts.id'], name=op.f('fk_alert_items_alert_id_alerts'),
            ondelete='CASCADE',
        ),
        sa.ForeignKeyConstraint(
            ['item_id'], ['items.id'], name=op.f('fk_alert_items_item_id_items'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_items')),
        sa.UniqueConstraint('alert_id', 'item_id', name=op.f('uq_alert_items_alert_id')),
    )
    op.create_index(op.f('ix_alert_items_alert_id'), 'alert_items', ['alert_id'])
    op.create_index(op.f('ix_alert_items_item_id'), 'alert_items', ['item_id'])
    op.create_table(
        'sends',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('ref_id', sa.Integer(), nullable=False),
        sa.Column('target', sa.String(length=80), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('last_attempt_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('sent_at', UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sends')),
        sa.UniqueConstraint('kind', 'ref_id', 'target', name=op.f('uq_sends_kind')),
    )
    op.create_table(
        'labels',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('other_item_id', sa.Integer(), nullable=True),
        sa.Column('reviewer', sa.String(length=120), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['item_id'], ['items.id'], name=op.f('fk_labels_item_id_items'), ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(
            ['other_item_id'], ['items.id'], name=op.f('fk_labels_other_item_id_items'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_labels')),
    )
    op.create_index(op.f('ix_labels_item_id'), 'labels', ['item_id'])
    op.create_index(op.f('ix_labels_other_item_id'), 'labels', ['other_item_id'])
    op.create_index(op.f('ix_labels_created_at'), 'labels', ['created_at'])


def downgrade() -> None:
    op.drop_table('labels')
    op.drop_table('sends')
    op.drop_table('alert_items')
    op.drop_table('alerts')
    op.drop_table('saved_searches')
