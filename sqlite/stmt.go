package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// maxStmts bounds the statements kept prepared per connection pool. The
// store's SQL is a fixed set plus filters combined at run time; past the
// bound a statement is simply prepared each time, as database/sql does.
var maxStmts = 512 // a variable for tests

// stmtCache keeps statements prepared on one pool, by their SQL. modernc's
// driver prepares every statement it runs (parsing and planning the SQL
// anew, a large share of a small write), and database/sql cannot prepare
// on the writer's one connection while a transaction holds it. So a
// transaction runs what the cache lacks unprepared and notes it, and the
// store prepares those after the transaction, when the connection is free;
// later transactions bind the prepared statement to their connection
// (sql.Tx.StmtContext reuses it on the connection it was prepared on, and
// prepares it once on any other).
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}}
}

func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[query]
}

// prepare prepares the queries not yet held, within the bound. A query
// that does not prepare is left to fail where it runs.
func (c *stmtCache) prepare(queries []string) {
	for _, q := range queries {
		c.mu.RLock()
		_, ok := c.m[q]
		full := len(c.m) >= maxStmts
		c.mu.RUnlock()
		if ok || full {
			continue
		}
		st, err := c.db.PrepareContext(context.Background(), q)
		if err != nil {
			continue
		}
		c.mu.Lock()
		if _, ok := c.m[q]; ok || len(c.m) >= maxStmts {
			st.Close()
		} else {
			c.m[q] = st
		}
		c.mu.Unlock()
	}
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

// stmt returns the cached statement for query bound to the transaction,
// or nil after noting query for the next prepare.
func (t *tx) stmt(query string) *sql.Stmt {
	if t.stmts == nil {
		return nil
	}
	if st := t.stmts.get(query); st != nil {
		return t.tx.StmtContext(t.ctx, st)
	}
	t.missed = append(t.missed, query)
	return nil
}

// done prepares what the transaction ran unprepared; call it once the
// transaction has ended.
func (t *tx) done() {
	if len(t.missed) > 0 {
		t.stmts.prepare(t.missed)
		t.missed = nil
	}
}
