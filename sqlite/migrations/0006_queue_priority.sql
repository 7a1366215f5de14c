-- The queue filtered by priority (the analyst's "high only" view) reads an
-- index range per status instead of every open case.
CREATE INDEX cases_status_priority_due ON cases (status, priority, due_key);
CREATE INDEX cases_status_priority_opened ON cases (status, priority, opened_key);
