package zone_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/tldguard/tldguard/zone"
)

func Example() {
	// A feed's names; the zone check wants those delegated in the zone.
	feed := map[string]bool{"bad.example": true, "gone.example": true}

	in := strings.NewReader("example.\t900\tin\tsoa\ta.nic.example. noc.nic.example. 2024061501 1800 900 604800 86400\n" +
		"bad.example.\t86400\tin\tns\tns1.host.test.\n" +
		"bad.example.\t86400\tin\tns\tns2.host.test.\n" +
		"good.example.\t86400\tin\tns\tns1.host.test.\n")
	z := zone.NewReader(in, zone.Options{Name: "example.zone", Apexes: []string{"example"}})
	err := z.Read(context.Background(), func(name []byte) error {
		if feed[string(name)] { // no allocation for the lookup
			fmt.Printf("in the zone and the feed: %s\n", name)
		}
		return nil
	})
	st := z.Stats()
	fmt.Println(err, st.Names, st.Records, st.Serials["example"])
	// Output:
	// in the zone and the feed: bad.example
	// <nil> 2 4 2024061501
}

func ExampleReader_Names() {
	z := zone.NewReader(strings.NewReader("$ORIGIN example.\nA NS ns1.test.\nb NS ns1.test.\n"),
		zone.Options{Apexes: []string{"example"}})
	for name := range z.Names(context.Background()) {
		fmt.Println(string(name))
	}
	fmt.Println(z.Err())
	// Output:
	// a.example
	// b.example
	// <nil>
}
