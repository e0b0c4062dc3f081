// Command gormcheck drives GORM (gorm.io/gorm v1.31.2 over
// gorm.io/driver/postgres v1.6.3, i.e. pgx) the way an application does
// and prints what it sees, one fact a line, so that the output on a
// HeliosDB Nano node can be diffed with PostgreSQL 15's
// (tests/clients_test.go TestGORMMatchesPostgres). AutoMigrate runs twice:
// the second run must find the tables (HasTable) and change nothing.
//
// Usage: go run . DSN
package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

type Company struct {
	ID   uint   `gorm:"primaryKey"`
	Name string `gorm:"size:64;not null;uniqueIndex"`
}

type User struct {
	ID        uint   `gorm:"primaryKey"`
	Name      string `gorm:"size:100;not null"`
	Email     string `gorm:"uniqueIndex"`
	Age       int
	Score     float64 `gorm:"default:1.5"`
	Active    bool    `gorm:"default:true"`
	CompanyID *uint
	Company   Company
	Orders    []Order
	CreatedAt time.Time
	UpdatedAt time.Time
	DeletedAt gorm.DeletedAt `gorm:"index"`
}

type Order struct {
	ID     uint `gorm:"primaryKey"`
	UserID uint `gorm:"index"`
	Item   string
	Amount int64
}

func main() {
	db, err := gorm.Open(postgres.Open(os.Args[1]), &gorm.Config{Logger: logger.Discard, NowFunc: func() time.Time {
		return time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	}})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	must := func(what string, err error) {
		if err != nil {
			fmt.Printf("%s: %v\n", what, err)
		}
	}
	m := db.Migrator()
	must("drop", m.DropTable(&Order{}, &User{}, &Company{}))
	for round := 1; round <= 2; round++ {
		fmt.Printf("round %d HasTable users=%v orders=%v\n", round, m.HasTable(&User{}), m.HasTable("orders"))
		must(fmt.Sprintf("automigrate %d", round), db.AutoMigrate(&Company{}, &User{}, &Order{}))
	}
	fmt.Println("HasColumn users.email", m.HasColumn(&User{}, "Email"), "users.nosuch", m.HasColumn(&User{}, "nosuch"))
	fmt.Println("HasIndex idx_users_email", m.HasIndex(&User{}, "idx_users_email"), "HasConstraint", m.HasConstraint(&User{}, "Company"))
	cols, err := m.ColumnTypes(&User{})
	must("columntypes", err)
	for _, c := range cols {
		n, _ := c.Nullable()
		pk, _ := c.PrimaryKey()
		u, _ := c.Unique()
		l, _ := c.Length()
		def, _ := c.DefaultValue()
		fmt.Printf("column %s %s nullable=%v pk=%v unique=%v len=%d default=%q\n", c.Name(), c.DatabaseTypeName(), n, pk, u, l, def)
	}
	tables, err := m.GetTables()
	must("gettables", err)
	sort.Strings(tables)
	fmt.Println("tables", tables)

	acme := Company{Name: "Acme"}
	must("create company", db.Create(&acme).Error)
	u := User{Name: "ann", Email: "ann@x", Age: 30, CompanyID: &acme.ID, Orders: []Order{{Item: "pen", Amount: 3}, {Item: "ink", Amount: 7}}}
	must("create user", db.Create(&u).Error)
	fmt.Println("created", u.ID, u.Score, u.Active, len(u.Orders), u.Orders[0].ID, u.Orders[1].UserID == u.ID)
	batch := []User{{Name: "bob", Email: "bob@x", Age: 25}, {Name: "cy", Email: "cy@x", Age: 41, Active: false}}
	must("create batch", db.Create(&batch).Error)
	fmt.Println("batch ids", batch[0].ID, batch[1].ID)
	err = db.Create(&User{Name: "dup", Email: "ann@x"}).Error
	fmt.Println("duplicate:", err != nil, errors.Is(err, gorm.ErrDuplicatedKey))

	var got User
	must("first", db.Preload("Orders", func(db *gorm.DB) *gorm.DB { return db.Order("id") }).Preload("Company").First(&got, "email = ?", "ann@x").Error)
	fmt.Println("first", got.Name, got.Age, got.Company.Name, len(got.Orders), got.Orders[0].Item, got.CreatedAt.UTC())
	var users []User
	must("find", db.Where("age > ?", 20).Order("age desc").Find(&users).Error)
	for _, x := range users {
		fmt.Println("user", x.ID, x.Name, x.Age, x.Active)
	}
	must("update", db.Model(&got).Update("age", 31).Error)
	must("updates", db.Model(&User{}).Where("name = ?", "bob").Updates(map[string]any{"age": 26, "score": 2.5}).Error)
	res := db.Where("name = ?", "cy").Delete(&User{})
	fmt.Println("soft delete", res.RowsAffected, res.Error)
	var n int64
	must("count", db.Model(&User{}).Count(&n).Error)
	var all int64
	must("count unscoped", db.Unscoped().Model(&User{}).Count(&all).Error)
	fmt.Println("count", n, "unscoped", all)
	var total int64
	must("sum", db.Model(&Order{}).Select("coalesce(sum(amount), 0)").Scan(&total).Error)
	fmt.Println("sum", total)
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&Order{UserID: u.ID, Item: "rolled back", Amount: 100}).Error; err != nil {
			return err
		}
		return errors.New("abort")
	})
	fmt.Println("transaction:", err)
	must("count orders", db.Model(&Order{}).Count(&n).Error)
	fmt.Println("orders", n)
	var rows []struct {
		Name  string
		Total int64
	}
	must("join", db.Table("users").Select("users.name, sum(orders.amount) AS total").Joins("JOIN orders ON orders.user_id = users.id").Group("users.name").Order("users.name").Scan(&rows).Error)
	fmt.Println("join", rows)
	err = db.First(&User{}, 9999).Error
	fmt.Println("not found:", errors.Is(err, gorm.ErrRecordNotFound))
	must("drop", m.DropTable(&Order{}, &User{}, &Company{}))
	fmt.Println("HasTable after drop", m.HasTable(&User{}))
}
