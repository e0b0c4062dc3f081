// JdbcCheck drives pgjdbc (Debian libpostgresql-jdbc-java) the way an
// application does and prints what it sees, one fact a line, so that the
// output on a HeliosDB Nano node can be diffed with PostgreSQL 15's
// (tests/clients_test.go TestJDBCMatchesPostgres). Usage:
//   java -cp /usr/share/java/postgresql.jar:DIR JdbcCheck URL USER PASSWORD
import java.sql.*;

public class JdbcCheck {
    static void print(String what, ResultSet rs, String... cols) throws SQLException {
        while (rs.next()) {
            StringBuilder sb = new StringBuilder(what);
            for (String c : cols) {
                sb.append(' ').append(c).append('=').append(rs.getString(c));
            }
            System.out.println(sb);
        }
        rs.close();
    }

    public static void main(String[] args) throws Exception {
        try (Connection c = DriverManager.getConnection(args[0], args[1], args[2])) {
            try (Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS jitem");
                s.execute("DROP TABLE IF EXISTS jowner");
                s.execute("CREATE TABLE jowner (id serial PRIMARY KEY, name varchar(40) NOT NULL UNIQUE, born date)");
                s.execute("CREATE TABLE jitem (id bigint PRIMARY KEY, owner_id int, label text DEFAULT 'none', price numeric(10,2), ok boolean)");
            }
            try (PreparedStatement p = c.prepareStatement("INSERT INTO jowner (name, born) VALUES (?, ?)", Statement.RETURN_GENERATED_KEYS)) {
                for (int i = 1; i <= 3; i++) {
                    p.setString(1, "owner" + i);
                    p.setDate(2, Date.valueOf("2000-01-0" + i));
                    p.executeUpdate();
                    try (ResultSet k = p.getGeneratedKeys()) {
                        while (k.next()) System.out.println("generated id=" + k.getInt("id"));
                    }
                }
            }
            c.setAutoCommit(false);
            try (PreparedStatement p = c.prepareStatement("INSERT INTO jitem (id, owner_id, label, price, ok) VALUES (?, ?, ?, ?, ?)")) {
                for (int i = 1; i <= 6; i++) { // more than prepareThreshold: server-side prepared
                    p.setLong(1, i);
                    p.setInt(2, 1 + i % 3);
                    p.setString(3, "item" + i);
                    p.setBigDecimal(4, new java.math.BigDecimal(i + ".25"));
                    p.setBoolean(5, i % 2 == 0);
                    p.addBatch();
                }
                int[] n = p.executeBatch();
                System.out.println("batch " + n.length);
            }
            c.commit();
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO jitem (id) VALUES (100)");
            }
            c.rollback();
            c.setAutoCommit(true);
            try (PreparedStatement p = c.prepareStatement("SELECT i.id, o.name, i.label, i.price, i.ok FROM jitem i JOIN jowner o ON o.id = i.owner_id WHERE i.price > ? ORDER BY i.id")) {
                for (int round = 0; round < 6; round++) {
                    p.setBigDecimal(1, new java.math.BigDecimal("2"));
                    try (ResultSet rs = p.executeQuery()) {
                        int n = 0;
                        while (rs.next()) {
                            n++;
                            if (round == 0) System.out.println("row " + rs.getLong(1) + " " + rs.getString(2) + " " + rs.getString(3) + " " + rs.getBigDecimal(4) + " " + rs.getBoolean(5));
                        }
                        if (round == 5) System.out.println("rows " + n);
                    }
                }
                ResultSetMetaData md = p.getMetaData();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    System.out.println("meta " + md.getColumnName(i) + " " + md.getColumnTypeName(i) + " " + md.getColumnType(i) + " table=" + md.getTableName(i) + " nullable=" + md.isNullable(i));
                }
            }
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.setFetchSize(2); // portal suspension
                try (ResultSet rs = s.executeQuery("SELECT id FROM jitem ORDER BY id")) {
                    StringBuilder sb = new StringBuilder("fetched");
                    while (rs.next()) sb.append(' ').append(rs.getLong(1));
                    System.out.println(sb);
                }
            }
            c.commit();
            c.setAutoCommit(true);
            try {
                c.createStatement().executeUpdate("INSERT INTO jowner (name) VALUES ('owner1')");
            } catch (SQLException e) {
                System.out.println("error " + e.getSQLState() + " " + e.getMessage().split("\n")[0]);
            }
            DatabaseMetaData md = c.getMetaData();
            System.out.println("product " + md.getDatabaseProductName());
            print("table", md.getTables(null, null, "j%", new String[] {"TABLE"}), "TABLE_SCHEM", "TABLE_NAME", "TABLE_TYPE");
            print("column", md.getColumns(null, "public", "jitem", null), "TABLE_NAME", "COLUMN_NAME", "DATA_TYPE", "TYPE_NAME", "COLUMN_SIZE", "DECIMAL_DIGITS", "NULLABLE", "COLUMN_DEF", "ORDINAL_POSITION", "IS_NULLABLE", "IS_AUTOINCREMENT");
            print("column", md.getColumns(null, "public", "jowner", null), "TABLE_NAME", "COLUMN_NAME", "DATA_TYPE", "TYPE_NAME", "COLUMN_SIZE", "NULLABLE", "COLUMN_DEF", "IS_AUTOINCREMENT");
            print("pk", md.getPrimaryKeys(null, "public", "jitem"), "TABLE_NAME", "COLUMN_NAME", "KEY_SEQ", "PK_NAME");
            print("pk", md.getPrimaryKeys(null, "public", "jowner"), "TABLE_NAME", "COLUMN_NAME", "KEY_SEQ", "PK_NAME");
            print("index", md.getIndexInfo(null, "public", "jowner", false, false), "TABLE_NAME", "NON_UNIQUE", "INDEX_NAME", "ORDINAL_POSITION", "COLUMN_NAME");
            print("schema", md.getSchemas(), "TABLE_SCHEM");
        }
        // Savepoints: the Savepoint API, and autosave=always (pgjdbc sets
        // SAVEPOINT PGJDBC_AUTOSAVE before each statement and rolls back to
        // it after an error, so the transaction goes on), with server-side
        // prepared statements (extended protocol).
        String auto = args[0] + (args[0].contains("?") ? "&" : "?") + "autosave=always";
        try (Connection c = DriverManager.getConnection(auto, args[1], args[2])) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO jowner (name) VALUES ('sp1')");
                try {
                    s.executeUpdate("INSERT INTO jowner (name) VALUES ('sp1')");
                } catch (SQLException e) {
                    System.out.println("autosave error " + e.getSQLState());
                }
                s.executeUpdate("INSERT INTO jowner (name) VALUES ('sp2')");
                Savepoint sp = c.setSavepoint("before3");
                s.executeUpdate("INSERT INTO jowner (name) VALUES ('sp3')");
                c.rollback(sp);
                Savepoint anon = c.setSavepoint();
                s.executeUpdate("UPDATE jowner SET born = DATE '2001-01-01' WHERE name = 'sp2'");
                c.releaseSavepoint(anon);
            }
            try (PreparedStatement p = c.prepareStatement("INSERT INTO jitem (id) VALUES (?)")) {
                for (int i = 0; i < 8; i++) {
                    p.setLong(1, 200 + i % 5);
                    try {
                        p.executeUpdate();
                        System.out.println("autosave insert " + (200 + i % 5));
                    } catch (SQLException e) {
                        System.out.println("autosave insert error " + e.getSQLState());
                    }
                }
            }
            c.commit();
            try (Statement s = c.createStatement()) {
                print("savepoint row", s.executeQuery("SELECT name, born FROM jowner WHERE name LIKE 'sp%' ORDER BY name"), "name", "born");
                print("savepoint item", s.executeQuery("SELECT count(*) AS n FROM jitem WHERE id >= 200"), "n");
            }
        }
    }
}
