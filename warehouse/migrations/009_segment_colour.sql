-- 009_segment_colour: each segment's colour, a function of its lasting ID (tasks/colours.py), so a
-- dashboard can colour segment 4 exactly as every plot and report of every period does.

-- segment_profiles gains the colour (grain unchanged: run_id, segment_id).
ALTER TABLE segment_profiles ADD COLUMN colour VARCHAR;  -- hex '#RRGGBB' of the segment ID: Okabe-Ito palette, repeating every 8 IDs

-- Runs made before 009 get the same colour their ID has now (the palette of tasks/colours.py).
UPDATE segment_profiles
SET colour = ['#E69F00', '#56B4E9', '#009E73', '#0072B2', '#D55E00', '#CC79A7', '#F0E442', '#000000'][((segment_id - 1) % 8) + 1];
