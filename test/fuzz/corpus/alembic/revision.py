"""add audio timestamps

Revision ID: b2c3d4e5f6a7
Revises: a1b2c3d4e5f6
Create Date: 2026-11-23 22:00:22.785049

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b2c3d4e5f6a7'
down_revision = 'a1b2c3d4e5f6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('segment', sa.Column('audio_start_ms', sa.Integer(), nullable=True))
    op.add_column('segment', sa.Column('word_timestamps', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column('segment', 'word_timestamps')
    op.drop_column('segment', 'audio_start_ms')
