--
-- 08_lock: the migration lock at session level, as the pgmig client takes
-- it for runs that span several transactions.
--
SET pgmig.guard = off;
CREATE EXTENSION IF NOT EXISTS pgmig;
DROP EXTENSION pgmig CASCADE;
CREATE EXTENSION pgmig;

-- lock() takes it (waiting if another session has it) and says true.
SELECT pgmig.lock();
-- status() names the holder.
SELECT lock_pid = pg_backend_pid() AS held_by_me, lock_role = current_user AS my_role
  FROM pgmig.status();
-- It is an advisory lock in pgmig's private class (objsubid 20557), so it
-- shows in pg_locks yet no pg_advisory_lock() of a user can collide with it:
-- the user's locks use objsubid 1 (bigint keys) and 2 (two int keys).
SELECT locktype, objsubid FROM pg_locks
 WHERE locktype = 'advisory' AND pid = pg_backend_pid();
SELECT pg_try_advisory_lock(x'70676d6900000067'::bigint) AS user_lock_same_key;
SELECT pg_try_advisory_lock(1885826409, 103) AS user_lock_same_pair;
SELECT pg_advisory_unlock(x'70676d6900000067'::bigint), pg_advisory_unlock(1885826409, 103);
SELECT lock_pid = pg_backend_pid() AS pgmig_lock_kept FROM pgmig.status();

-- The holder's own upgrade() is not blocked by its lock.
SELECT pgmig.add('k1', '{}', 'CREATE TABLE lock_t (a int);', 'DROP TABLE lock_t;', 'one');
SELECT pgmig.upgrade();

-- A session lock outlives transactions until unlock().
BEGIN;
SELECT pgmig.downgrade('base');
COMMIT;
SELECT lock_pid = pg_backend_pid() AS still_held FROM pgmig.status();
SELECT pgmig.unlock();
SELECT lock_pid IS NULL AS free FROM pgmig.status();

-- unlock() without the lock says false; lock(false) does not wait.
SELECT pgmig.unlock();
SELECT pgmig.lock(false);
SELECT pgmig.unlock();

-- Caveat: pg_advisory_unlock_all() releases every advisory lock of the
-- session, pgmig's too (it cannot tell them apart).
SELECT pgmig.lock();
SELECT pg_advisory_unlock_all();
SELECT lock_pid IS NULL AS released_by_unlock_all FROM pgmig.status();

DROP EXTENSION pgmig CASCADE;
