-- One call against the API's rate limits in one round trip (`runway_core::db::rate_limits::take`):
-- takes one unit from each of `buckets` (each with its emission interval in microseconds), all or
-- none. Returns NULL when the call is allowed, or the microseconds until the first refusing bucket
-- has room (and then takes from none).
--
-- Every bucket's row is locked before any is changed, always in the order given (the token, then
-- its person), so concurrent calls on any replica queue on the rows and cannot both take the last
-- unit. A bucket without a row is full: it gets a full row (its time is now) to lock. The commit
-- does not wait for the disk (`synchronous_commit` off for this transaction): a crash can forget
-- a moment of counting, which allows a few calls more, never fewer.
CREATE FUNCTION runway_take_api_rate_limits(buckets TEXT[], intervals BIGINT[], now_us BIGINT)
RETURNS BIGINT
LANGUAGE plpgsql
AS $$
DECLARE
    minute CONSTANT BIGINT := 60000000;
    n INTEGER := COALESCE(array_length(buckets, 1), 0);
    next_tats BIGINT[] := '{}';
    tat BIGINT;
    next_tat BIGINT;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    FOR i IN 1 .. n LOOP
        SELECT r.tat_us INTO tat FROM api_rate_limits r WHERE r.bucket = buckets[i] FOR UPDATE;
        IF NOT FOUND THEN
            INSERT INTO api_rate_limits AS r (bucket, tat_us) VALUES (buckets[i], now_us)
            ON CONFLICT (bucket) DO UPDATE SET tat_us = r.tat_us
            RETURNING r.tat_us INTO tat;
        END IF;
        next_tat := GREATEST(tat, now_us) + intervals[i];
        IF next_tat - now_us > minute THEN
            RETURN GREATEST(next_tat - minute - now_us, 1);
        END IF;
        next_tats[i] := next_tat;
    END LOOP;
    FOR i IN 1 .. n LOOP
        UPDATE api_rate_limits SET tat_us = next_tats[i] WHERE bucket = buckets[i];
    END LOOP;
    RETURN NULL;
END
$$;
