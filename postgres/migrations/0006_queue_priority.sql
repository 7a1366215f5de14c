-- The queue filtered by priority (the analyst's "high only" view) reads an
-- index range of the open cases of that priority.
CREATE INDEX cases_active_priority_due ON cases (priority, (coalesce(response_due_at, 'infinity'::timestamptz)), id)
    WHERE status <> 'closed';
CREATE INDEX cases_active_priority_newest ON cases (priority, (coalesce(opened_at, '-infinity'::timestamptz)), id)
    WHERE status <> 'closed';
