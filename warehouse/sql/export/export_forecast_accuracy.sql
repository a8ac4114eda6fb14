-- Every forecast's newest measurement, for segment export.
SELECT * FROM forecast_accuracy;
