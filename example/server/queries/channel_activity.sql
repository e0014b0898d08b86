-- name: ChannelActivity :many
-- Messages per day in a channel. Unless is_admin, only for a member of the
-- channel: the custom resolver passes the caller's session.
SELECT date_trunc('day', m.created_at)::date AS day, count(*)::int AS messages
FROM messages m
WHERE m.channel_id = sqlc.arg(channel_id)
  AND (sqlc.arg(is_admin)::boolean OR EXISTS (
        SELECT 1 FROM channel_members cm
        WHERE cm.channel_id = m.channel_id AND cm.user_id = sqlc.arg(user_id)))
GROUP BY 1
ORDER BY 1;
