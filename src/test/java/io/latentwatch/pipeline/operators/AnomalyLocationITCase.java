package io.latentwatch.pipeline.operators;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.latentwatch.TestModels;
import io.latentwatch.frames.ChannelPolicy;
import io.latentwatch.frames.Frame;
import io.latentwatch.frames.ImageEncoding;
import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.model.DipVaeConfig;
import io.latentwatch.model.ModelDirectory;
import io.latentwatch.pipeline.ScoringJobOptions;
import io.latentwatch.pipeline.kafka.KafkaRecords;
import io.latentwatch.pipeline.kafka.RawFrame;
import io.latentwatch.pipeline.kafka.RecordSerializer;
import io.latentwatch.pipeline.kafka.ValueFormat;
import io.latentwatch.scoring.Alert;
import io.latentwatch.scoring.FrameBatch;
import io.latentwatch.scoring.ScoredBatch;
import io.latentwatch.scoring.ScoredFrame;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.operators.StreamMap;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Where the job says an anomaly is: a frame larger than the model's grid, and not square, with a bright square
 * painted at a known place, decoded by the job's decoder, scored by its scorer with the test model (which measures
 * anomaly maps) and judged by its threshold step: region and peak come out in the frame's own pixels, over the
 * square, and the alert carries a PNG within its byte limit, or none with the option off.
 */
class AnomalyLocationITCase {

    /** The frame's own size: 3 × the model's 32 across, 2 × down. */
    private static final int WIDTH = 96;
    private static final int HEIGHT = 64;
    /** The foreign square, on whole grid pixels (grid 20..25 across, 20..25 down): beyond the grid's own 32 × 32. */
    private static final Rectangle SQUARE = new Rectangle(60, 40, 18, 12);

    private static Path model;
    private static DipVaeConfig config;

    @BeforeAll
    static void trainModel() throws Exception {
        model = TestModels.detector();
        config = ModelDirectory.readMetadata(model).config();
    }

    /** A normal frame of the training scene, stretched to WIDTH × HEIGHT, with or without the square, as PNG. */
    private static byte[] frame(long index, boolean square) {
        BufferedImage scene = TestModels.camera().build().frame(index, AnomalyKind.NONE).image();
        BufferedImage wide = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = wide.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(scene, 0, 0, WIDTH, HEIGHT, null);
        if (square) {
            g.setColor(Color.WHITE);
            g.fill(SQUARE);
        }
        g.dispose();
        return ImageEncoding.png(wide);
    }

    private static Frame decoded(String id, byte[] png) throws Exception {
        RawFrame raw = new RawFrame("frames", 0, 1, 1000, "cam-1".getBytes(StandardCharsets.UTF_8), png, new String[] {"frame-id"},
                new byte[][] {id.getBytes(StandardCharsets.UTF_8)});
        return new FrameDecoder(config.inChannels(), config.imageSize(), 1 << 20, 4096, ChannelPolicy.CONVERT).decode(raw);
    }

    /** The frames through the job's scorer, with PNGs of at most {@code mapPngMaxBytes} (0: none). */
    private static ScoredFrame[] scored(int mapPngMaxBytes, Frame... frames) throws Exception {
        ScoringFunction scorer = new ScoringFunction(model.toString(), "cpu", "fp32", config, mapPngMaxBytes);
        try (var h = new OneInputStreamOperatorTestHarness<>(new StreamMap<>(scorer))) {
            h.open();
            h.processElement(FrameBatch.of(Arrays.asList(frames)), 0);
            List<ScoredBatch> out = h.extractOutputValues();
            assertEquals(1, out.size());
            return out.get(0).frames;
        }
    }

    @Test
    void regionAndPeakAreInTheFramesOwnPixelsOverTheForeignSquare() throws Exception {
        Frame square = decoded("square", frame(3, true));
        Frame normal = decoded("normal", frame(4, false));
        assertEquals(WIDTH, square.width);
        assertEquals(HEIGHT, square.height);
        ScoredFrame[] out = scored((int) ScoringJobOptions.ALERT_MAP_PNG_MAX_BYTES.defaultValue().getBytes(), square, normal);

        ScoredFrame s = out[0];
        assertNotNull(s.region, "the square is an area of the map above its threshold: " + s);
        Rectangle region = new Rectangle(s.region[0], s.region[1], s.region[2], s.region[3]);
        assertTrue(new Rectangle(0, 0, WIDTH, HEIGHT).contains(region), "the region lies in the " + WIDTH + "x" + HEIGHT + " frame: " + region);
        // the square lies beyond x and y = 32: a region in the model's grid would miss it
        Rectangle overlap = region.intersection(SQUARE);
        assertTrue(!overlap.isEmpty() && overlap.width * overlap.height >= SQUARE.width * SQUARE.height / 2,
                "the region " + region + " covers most of the square " + SQUARE);
        assertTrue(SQUARE.contains(s.peak[0], s.peak[1]), "the peak " + Arrays.toString(s.peak) + " is on the square " + SQUARE);
        assertTrue(region.contains(s.peak[0], s.peak[1]), "the peak is in its region");

        ScoredFrame n = out[1];
        assertNull(n.region, "the same scene without the square has no area above the map's threshold");
        assertNull(n.peak, "no peak without a region");
        assertNull(n.anomalyMapPng, "no picture without a region");
    }

    @Test
    void theAlertCarriesTheRegionAndAPictureWithinItsByteLimitAndNoneWithTheOptionOff() throws Exception {
        Frame square = decoded("square", frame(3, true));
        Frame normal = decoded("normal", frame(4, false));
        int limit = (int) ScoringJobOptions.ALERT_MAP_PNG_MAX_BYTES.defaultValue().getBytes();
        ScoredFrame[] out = scored(limit, square, normal);
        byte[] png = out[0].anomalyMapPng;
        assertNotNull(png, "a frame with a region gets a picture");
        assertTrue(png.length <= limit, png.length + " bytes");
        BufferedImage picture = ImageIO.read(new ByteArrayInputStream(png));
        assertNotNull(picture, "the picture is a PNG");
        assertEquals(4 * config.imageSize(), picture.getWidth(), "the model's grid, upscaled 4 times where that fits");

        // through the threshold step: both frames judged, one alert, and its JSON as the alerts topic carries it
        ThresholdFunction threshold = ThresholdFunction.fixed(out[0].modelThreshold);
        try (var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(threshold), (ScoredFrame f) -> f.source, Types.STRING)) {
            h.open();
            h.processElement(out[0], 0);
            h.processElement(out[1], 0);
            List<ScoredFrame> judged = h.extractOutputValues();
            assertArrayEquals(out[0].region, judged.get(0).region, "the judged frame keeps its region");
            assertArrayEquals(out[0].peak, judged.get(0).peak);
            List<Alert> alerts = h.getSideOutput(ThresholdFunction.ALERTS).stream().map(r -> r.getValue()).toList();
            assertEquals(1, alerts.size(), "the square's frame alerts, the normal one does not");
            RecordSerializer<Alert> json = KafkaRecords.alerts("alerts", ValueFormat.JSON);
            json.open(null, null);
            JsonObject record = JsonParser.parseString(new String(json.serialize(alerts.get(0), null, null).value(), StandardCharsets.UTF_8))
                    .getAsJsonObject();
            assertArrayEquals(out[0].region, ints(record.getAsJsonArray("region")), "region in the alert: " + record.get("region"));
            assertArrayEquals(out[0].peak, ints(record.getAsJsonArray("peak")));
            assertArrayEquals(png, Base64.getDecoder().decode(record.get("anomaly_map_png").getAsString()), "the picture, base64");
        }

        // a tighter limit takes a smaller picture; off, none, while region and peak stay
        ScoredFrame smaller = scored(png.length - 1, square)[0];
        assertTrue(smaller.anomalyMapPng.length < png.length, smaller.anomalyMapPng.length + " bytes");
        assertTrue(ImageIO.read(new ByteArrayInputStream(smaller.anomalyMapPng)).getWidth() < picture.getWidth());
        ScoredFrame off = scored(0, square)[0];
        assertNull(off.anomalyMapPng, "with the option off there is no picture");
        assertArrayEquals(out[0].region, off.region);
        assertArrayEquals(out[0].peak, off.peak);
    }

    private static int[] ints(JsonArray array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).getAsInt();
        }
        return out;
    }
}
