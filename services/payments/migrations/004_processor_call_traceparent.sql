-- The trace the call was recorded in (W3C traceparent, '' when none), so the worker that makes the
-- call later continues that trace: a checkout stays one trace through the card processor.
ALTER TABLE processor_calls ADD COLUMN traceparent text NOT NULL DEFAULT '';
