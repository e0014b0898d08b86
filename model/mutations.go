package model

import (
	"strings"

	"github.com/hasgen/hasgen/metadata"
)

// Writes is what one role may write in one table: its insert, update and
// delete permissions. For admin every permission exists and allows every
// column Postgres lets be written.
type Writes struct {
	Table  *Table
	Role   string
	Insert *metadata.InsertPermission // nil: no insert permission
	Update *metadata.UpdatePermission
	Delete *metadata.DeletePermission
}

// Writes returns role's permissions to write t, limited by what Postgres
// allows (a view that is not insertable has no insert, whatever the file
// says).
func (p *Project) Writes(t *Table, role string) *Writes {
	w := &Writes{Table: t, Role: role}
	if role == AdminRole {
		all := func(keep func(*Column) bool) []string {
			var out []string
			for _, c := range t.Columns {
				if keep(c) {
					out = append(out, c.Name)
				}
			}
			return out
		}
		w.Insert = &metadata.InsertPermission{Role: role, Columns: all(func(c *Column) bool { return c.DB.Insertable })}
		w.Update = &metadata.UpdatePermission{Role: role, Columns: all(func(c *Column) bool { return c.DB.Updatable })}
		w.Delete = &metadata.DeletePermission{Role: role}
	} else {
		w.Insert, w.Update, w.Delete = t.Insert[role], t.Update[role], t.Delete[role]
	}
	if !t.Insertable {
		w.Insert = nil
	}
	if !t.Updatable {
		w.Update = nil
	}
	if !t.Deletable {
		w.Delete = nil
	}
	return w
}

// columns returns the named columns that keep allows, minus the preset
// ones: a preset column's value comes from the permission, not the request.
func (w *Writes) columns(names []string, presets []*metadata.Preset, keep func(*Column) bool) []*Column {
	preset := map[string]bool{}
	for _, p := range presets {
		preset[p.Column] = true
	}
	var out []*Column
	for _, n := range names {
		c := w.Table.Column(n)
		if c != nil && keep(c) && !preset[n] {
			out = append(out, c)
		}
	}
	return out
}

// InsertColumns are the columns a request may give values for in an
// insert, in table order.
func (w *Writes) InsertColumns() []*Column {
	if w.Insert == nil {
		return nil
	}
	return w.columns(w.Insert.Columns, w.Insert.Set, func(c *Column) bool { return c.DB.Insertable })
}

// UpdateColumns are the columns a request may set in an update (and in an
// upsert's update_columns), in table order.
func (w *Writes) UpdateColumns() []*Column {
	if w.Update == nil {
		return nil
	}
	return w.columns(w.Update.Columns, w.Update.Set, func(c *Column) bool { return c.DB.Updatable })
}

// IsJSONB reports a jsonb column (the _append, _prepend and _delete_*
// update operators apply).
func (c *Column) IsJSONB() bool { return c.JSON() == "jsonb" }

// DefaultSQL is the expression that gives the column its default in an
// insert that names it: the catalog's default, or the identity sequence's
// next value; empty when the column has no default (NULL).
func (c *Column) DefaultSQL(t *Table) string {
	if c.DB.Identity != "" {
		return "nextval(pg_get_serial_sequence(" + quoteLiteral(t.SQL()) + ", " + quoteLiteral(c.Name) + "))"
	}
	if c.DB.Generated != "" {
		return ""
	}
	return c.DB.Default
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
