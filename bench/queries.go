package main

// query is one benchmark query: its text for hasgen (Hasura's GraphQL API),
// its translation for each peer, and the role it runs as. graphql-bench's
// three are run as admin; the role-filtered one as a customer, through
// their invoices.
type query struct {
	Name    string
	GraphQL string
	Role    string
	Session map[string]string
	// Peers holds the translation for each peer flavour (see the
	// flavour constants); a peer without one does not run the query.
	Peers map[flavour]translation
	// Raw is the hand-written statement raw pgx runs, and its
	// arguments: what a Go developer would write for this one query.
	Raw    string
	RawArg []any
}

// flavour is a GraphQL dialect: the contenders that speak the same one
// share translations.
type flavour string

const (
	postgraphile4 flavour = "postgraphile4"
	postgraphile5 flavour = "postgraphile5"
	graphjin      flavour = "graphjin"
)

// translation is a query in a peer's dialect, and how its response maps
// onto hasgen's: Rename maps the peer's field names (at any depth) to
// hasgen's. Connections ({"nodes": [...]}) are unwrapped and numeric
// strings (PostGraphile's BigFloat) read as numbers by the peer's
// normaliser; see canonical.go.
type translation struct {
	GraphQL string
	Rename  map[string]string
}

// The translations, by dialect:
//
//   - PostGraphile 4 (default inflection): a table's collection is the
//     connection allX { nodes { ... } }, a row by primary key is xById,
//     a forward relation is xByFkColumn, a backward one
//     xsByFkColumn { nodes }, columns are camelCase. `_like` needs
//     postgraphile-plugin-connection-filter: filter: {title: {like: ...}}.
//     Connections order by primary key (PostGraphile's default) where
//     graphql-bench's queries name no order, and each server picks its
//     own, so the comparison ignores the order of lists.
//   - PostGraphile 5 (Amber preset): as 4, except that the column id is
//     exposed as rowId (id is the global Node ID), so albumById is
//     albumByRowId(rowId:) and orderBy ID_ASC is ROW_ID_ASC.
//   - GraphJin: fields are table names: albums(id: 1) is one row,
//     a to-one relation is the target table's name (artists, genres,
//     tracks) and gives an object, a to-many relation gives a list;
//     where and order_by read like Hasura's without the underscores
//     (like, eq, asc).
//
// Role-filtered: hasgen's customer role comes from the fixture's
// permissions; PostGraphile's from Postgres row-level security
// (bench/peers/postgraphile-rls.sql) with the role bench_customer and
// jwt.claims.user_id set per request (pgSettings); GraphJin's from a
// customer role in its config (bench/peers/graphjin/main.go). Every
// contender has roles, so every one runs it.
var queries = []query{
	{
		Name:    "AlbumByPK",
		GraphQL: `query AlbumByPK { albums_by_pk(id: 1) { id title } }`,
		Role:    "admin",
		Raw:     `SELECT json_build_object('id', id, 'title', title) FROM albums WHERE id = $1`,
		RawArg:  []any{"1"},
		Peers: map[flavour]translation{
			postgraphile4: {`query AlbumByPK { albumById(id: 1) { id title } }`,
				map[string]string{"albumById": "albums_by_pk"}},
			postgraphile5: {`query AlbumByPK { albumByRowId(rowId: 1) { rowId title } }`,
				map[string]string{"albumByRowId": "albums_by_pk", "rowId": "id"}},
			graphjin: {`query AlbumByPK { albums(id: 1) { id title } }`,
				map[string]string{"albums": "albums_by_pk"}},
		},
	},
	{
		Name:    "SearchAlbumsWithArtist",
		GraphQL: `query SearchAlbumsWithArtist { albums(where: {title: {_like: "%Rock%"}}) { id title artist { name id } } }`,
		Role:    "admin",
		Raw: `SELECT coalesce(json_agg(json_build_object('id', al.id, 'title', al.title, 'artist',
			CASE WHEN ar.id IS NOT NULL THEN json_build_object('name', ar.name, 'id', ar.id) END)), '[]')
			FROM albums al LEFT JOIN artists ar ON ar.id = al.artist_id WHERE al.title LIKE $1`,
		RawArg: []any{"%Rock%"},
		Peers: map[flavour]translation{
			postgraphile4: {`query SearchAlbumsWithArtist { allAlbums(filter: {title: {like: "%Rock%"}}) { nodes { id title artistByArtistId { name id } } } }`,
				map[string]string{"allAlbums": "albums", "artistByArtistId": "artist"}},
			postgraphile5: {`query SearchAlbumsWithArtist { allAlbums(filter: {title: {like: "%Rock%"}}) { nodes { rowId title artistByArtistId { name rowId } } } }`,
				map[string]string{"allAlbums": "albums", "artistByArtistId": "artist", "rowId": "id"}},
			graphjin: {`query SearchAlbumsWithArtist { albums(where: {title: {like: "%Rock%"}}) { id title artists { name id } } }`,
				map[string]string{"artists": "artist"}},
		},
	},
	{
		Name:    "AlbumsArtistTracksGenreAll",
		GraphQL: `query AlbumsArtistTracksGenreAll { albums { id title artist { id name } tracks { id name genre { name } } } }`,
		Role:    "admin",
		Raw: `SELECT coalesce(json_agg(json_build_object('id', al.id, 'title', al.title, 'artist',
			CASE WHEN ar.id IS NOT NULL THEN json_build_object('id', ar.id, 'name', ar.name) END, 'tracks',
			(SELECT coalesce(json_agg(json_build_object('id', t.id, 'name', t.name, 'genre',
				CASE WHEN g.id IS NOT NULL THEN json_build_object('name', g.name) END)), '[]')
			 FROM tracks t LEFT JOIN genres g ON g.id = t.genre_id WHERE t.album_id = al.id))), '[]')
			FROM albums al LEFT JOIN artists ar ON ar.id = al.artist_id`,
		Peers: map[flavour]translation{
			postgraphile4: {`query AlbumsArtistTracksGenreAll { allAlbums { nodes { id title artistByArtistId { id name } tracksByAlbumId { nodes { id name genreByGenreId { name } } } } } }`,
				map[string]string{"allAlbums": "albums", "artistByArtistId": "artist", "tracksByAlbumId": "tracks", "genreByGenreId": "genre"}},
			postgraphile5: {`query AlbumsArtistTracksGenreAll { allAlbums { nodes { rowId title artistByArtistId { rowId name } tracksByAlbumId { nodes { rowId name genreByGenreId { name } } } } } }`,
				map[string]string{"allAlbums": "albums", "artistByArtistId": "artist", "tracksByAlbumId": "tracks", "genreByGenreId": "genre", "rowId": "id"}},
			graphjin: {`query AlbumsArtistTracksGenreAll { albums { id title artists { id name } tracks { id name genres { name } } } }`,
				map[string]string{"artists": "artist", "genres": "genre"}},
		},
	},
	{
		Name:    "CustomerInvoicesRole",
		GraphQL: `query CustomerInvoicesRole { customers { id first_name invoices(order_by: {id: asc}) { id total invoice_lines { quantity track { name } } } } }`,
		Role:    "customer",
		Session: map[string]string{"x-hasura-user-id": "2"},
		// The customer's own row, invoices and lines, as the permissions
		// give them; a hand-written statement knows that the invoices and
		// lines it reaches from the row are the customer's, and has no
		// further filter to apply. The track by a scalar subquery: a join
		// here is planned as a hash join that scans every track per
		// invoice.
		Raw: `SELECT coalesce(json_agg(json_build_object('id', c.id, 'first_name', c.first_name, 'invoices',
			(SELECT coalesce(json_agg(json_build_object('id', i.id, 'total', i.total, 'invoice_lines',
				(SELECT coalesce(json_agg(json_build_object('quantity', l.quantity, 'track',
					(SELECT json_build_object('name', t.name) FROM tracks t WHERE t.id = l.track_id))), '[]')
				 FROM invoice_lines l WHERE l.invoice_id = i.id)) ORDER BY i.id), '[]')
			 FROM invoices i WHERE i.customer_id = c.id))), '[]')
			FROM customers c WHERE c.id = $1`,
		RawArg: []any{"2"},
		Peers: map[flavour]translation{
			postgraphile4: {`query CustomerInvoicesRole { allCustomers { nodes { id firstName invoicesByCustomerId(orderBy: ID_ASC) { nodes { id total invoiceLinesByInvoiceId { nodes { quantity trackByTrackId { name } } } } } } } }`,
				map[string]string{"allCustomers": "customers", "firstName": "first_name", "invoicesByCustomerId": "invoices", "invoiceLinesByInvoiceId": "invoice_lines", "trackByTrackId": "track"}},
			postgraphile5: {`query CustomerInvoicesRole { allCustomers { nodes { rowId firstName invoicesByCustomerId(orderBy: ROW_ID_ASC) { nodes { rowId total invoiceLinesByInvoiceId { nodes { quantity trackByTrackId { name } } } } } } } }`,
				map[string]string{"allCustomers": "customers", "firstName": "first_name", "invoicesByCustomerId": "invoices", "invoiceLinesByInvoiceId": "invoice_lines", "trackByTrackId": "track", "rowId": "id"}},
			graphjin: {`query CustomerInvoicesRole { customers { id first_name invoices(order_by: {id: asc}) { id total invoice_lines { quantity tracks { name } } } } }`,
				map[string]string{"tracks": "track"}},
		},
	},
}

// The customer's user id, the same for every contender.
func (q query) userID() string { return q.Session["x-hasura-user-id"] }
