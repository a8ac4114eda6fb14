-- A period's customers (customers_arrow) with their attributes (attributes_arrow), NULL where a
-- customer has none; in customer order, as the features are.
SELECT c.*, a.* EXCLUDE (customer_id)
FROM customers_arrow AS c
LEFT JOIN attributes_arrow AS a USING (customer_id)
ORDER BY c.customer_id;
