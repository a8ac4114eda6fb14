-- Per segment: the gender mix (gendered_arrow: segment_id, gender; NULL gender counts as neither).
SELECT
    segment_id,
    avg(CAST(gender = 'Female' AS DOUBLE)) AS share_female,
    avg(CAST(gender = 'Male' AS DOUBLE)) AS share_male
FROM gendered_arrow
GROUP BY segment_id
ORDER BY segment_id;
