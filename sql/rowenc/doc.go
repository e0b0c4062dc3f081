// Package rowenc encodes rows for storage: order-preserving keys and compact
// row values.
package rowenc
