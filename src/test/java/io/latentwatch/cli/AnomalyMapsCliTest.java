package io.latentwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.latentwatch.TestModels;
import io.latentwatch.frames.ImageEncoding;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Anomaly maps through the command line, with the tests' trained camera model (32 x 32 gray, l2 maps) on real PNG
 * files: score-images' region, peak and --maps pictures for a frame with a painted defect; evaluate's pixel metrics
 * and --worst picture on synthetic frames and on a folder in the MVTec AD layout; a model without maps.
 */
class AnomalyMapsCliTest {

    @TempDir Path tmp;

    /** The defect painted into 64 x 64 frames: 16 x 16 pixels, 8 x 8 of the model's grid. */
    static final Rectangle DEFECT = new Rectangle(36, 8, 16, 16);

    /** The test model's scene at 64 x 64 (twice the model's grid, so coordinates are scaled on the way). */
    private static SyntheticCamera camera64() {
        return TestModels.camera().imageSize(64).build();
    }

    /** A copy of the frame with the defect painted in the opposite of its area's mean level: white on dark, black on bright. */
    static BufferedImage painted(BufferedImage frame, Rectangle box) {
        BufferedImage out = new BufferedImage(frame.getWidth(), frame.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = out.createGraphics();
        g.drawImage(frame, 0, 0, null);
        long sum = 0;
        for (int y = box.y; y < box.y + box.height; y++) {
            for (int x = box.x; x < box.x + box.width; x++) {
                sum += out.getRaster().getSample(x, y, 0);
            }
        }
        g.setColor(sum / (box.width * box.height) < 128 ? Color.WHITE : Color.BLACK);
        g.fill(box);
        g.dispose();
        return out;
    }

    private static BufferedImage gray(BufferedImage frame) {
        BufferedImage out = new BufferedImage(frame.getWidth(), frame.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = out.createGraphics();
        g.drawImage(frame, 0, 0, null);
        g.dispose();
        return out;
    }

    private static int[] ints(JsonArray a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).getAsInt();
        }
        return v;
    }

    @Test
    void scoreImagesGivesRegionAndPeakInTheImagesPixelsAndWritesMapPictures() throws Exception {
        Path model = TestModels.detector();
        Path images = Files.createDirectories(tmp.resolve("images"));
        SyntheticCamera camera = camera64();
        Files.write(images.resolve("a_normal.png"), ImageEncoding.png(gray(camera.frame(20).image())));
        Files.write(images.resolve("b_defect.png"), ImageEncoding.png(painted(camera.frame(20).image(), DEFECT)));
        Path maps = tmp.resolve("maps");
        Path out = tmp.resolve("scores.jsonl");
        CliTest.Run r = CliTest.run("score-images", "--model", model.toString(), "--out", out.toString(), "--maps", maps.toString(), "--device", "cpu",
                images.toString());
        assertEquals(0, r.code, r.err);
        List<JsonObject> lines = Files.readAllLines(out).stream().map(l -> JsonParser.parseString(l).getAsJsonObject()).collect(Collectors.toList());
        assertEquals(2, lines.size());
        JsonObject defect = lines.get(1);
        assertTrue(defect.get("file").getAsString().endsWith("b_defect.png"));
        assertTrue(defect.get("score").getAsDouble() > lines.get(0).get("score").getAsDouble(), lines.toString());
        int[] peak = ints(defect.getAsJsonArray("peak"));
        int[] region = ints(defect.getAsJsonArray("region"));
        // in the 64 x 64 image's pixels; the map is smoothed (sigma 1 pixel of the grid), so allow 2 grid pixels around
        Rectangle near = new Rectangle(DEFECT.x - 4, DEFECT.y - 4, DEFECT.width + 8, DEFECT.height + 8);
        assertTrue(near.contains(peak[0], peak[1]), "peak " + peak[0] + "," + peak[1] + " outside " + near);
        assertTrue(new Rectangle(region[0], region[1], region[2], region[3]).intersects(DEFECT), defect.get("region").toString());
        assertTrue(region[0] >= 0 && region[1] >= 0 && region[0] + region[2] <= 64 && region[1] + region[3] <= 64, defect.get("region").toString());
        // input | reconstruction | map, each the 32-pixel grid upscaled 4 times, 2-pixel gaps
        BufferedImage picture = ImageIO.read(maps.resolve("b_defect_map.png").toFile());
        assertEquals(3 * (128 + 2) + 2, picture.getWidth());
        assertEquals(128 + 4, picture.getHeight());
        assertTrue(Files.isRegularFile(maps.resolve("a_normal_map.png")));
    }

    @Test
    void aModelWithoutMapsHasNoRegionAndPicturesInputAndReconstruction() throws Exception {
        Path model = tmp.resolve("no-maps");
        TestModels.copyAs(TestModels.detector(), model, 2, t -> t);
        Path json = model.resolve("model.json");
        JsonObject meta = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        meta.getAsJsonObject("calibration").remove("map");
        Files.writeString(json, meta.toString());
        Path images = Files.createDirectories(tmp.resolve("images"));
        Files.write(images.resolve("defect.png"), ImageEncoding.png(painted(camera64().frame(20).image(), DEFECT)));
        Path maps = tmp.resolve("maps");
        CliTest.Run r = CliTest.run("score-images", "--model", model.toString(), "--maps", maps.toString(), "--device", "cpu", images.toString());
        assertEquals(0, r.code, r.err);
        JsonObject line = JsonParser.parseString(r.out.strip()).getAsJsonObject();
        assertTrue(line.get("region").isJsonNull() && line.get("peak").isJsonNull(), r.out);
        BufferedImage picture = ImageIO.read(maps.resolve("defect_map.png").toFile());
        assertEquals(2 * (128 + 2) + 2, picture.getWidth());

        CliTest.Run e = CliTest.run("evaluate", "--model", model.toString(), "--normal", "synthetic@4096-4112", "--anomalous",
                "synthetic:blank@4096-4112", "--device", "cpu");
        assertEquals(0, e.code, e.err);
        assertTrue(e.out.contains("pixel AUROC and AUPRO: not measured, the model has no anomaly maps (calibration.map)"), e.out);
    }

    @Test
    void evaluateMeasuresSyntheticFramesPixelsAndPicturesTheWorst() throws Exception {
        Path json = tmp.resolve("eval.json");
        Path worst = tmp.resolve("worst.png");
        CliTest.Run r = CliTest.run("evaluate", "--model", TestModels.detector().toString(), "--normal", "synthetic@4096-4160", "--anomalous",
                "synthetic:anomalous@4096-4160", "--json", json.toString(), "--worst", worst.toString(), "--device", "cpu");
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.matches("(?s).*pixel AUROC [01]\\.\\d{4}  AUPRO [01]\\.\\d{4} \\(false-positive rates 0-0\\.3; 64 anomalous regions.*"), r.out);
        assertTrue(r.out.contains("wrote " + worst + ": the 16 highest-scored frames ("), r.out);
        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        double pixelAuroc = o.get("pixel_auroc").getAsDouble();
        assertTrue(pixelAuroc > 0 && pixelAuroc < 1, r.out);
        assertEquals(128 * 32 * 32, o.get("pixels").getAsLong());
        JsonArray w = o.getAsJsonArray("worst");
        assertEquals(16, w.size());
        assertTrue(w.get(0).getAsJsonObject().get("score").getAsDouble() >= w.get(15).getAsJsonObject().get("score").getAsDouble());
        assertTrue(w.get(0).getAsJsonObject().get("name").getAsString().startsWith("synthetic#"), w.toString());
        BufferedImage picture = ImageIO.read(worst.toFile());
        assertEquals(16 * (128 + 4), picture.getHeight());
        assertEquals(3 * (128 + 2) + 2, picture.getWidth());
    }

    @Test
    void evaluateReadsAnMvtecFolderWithItsMasks() throws Exception {
        Path dir = tmp.resolve("camera");
        for (String d : new String[] {"train/good", "test/good", "test/paint", "ground_truth/paint"}) {
            Files.createDirectories(dir.resolve(d));
        }
        SyntheticCamera camera = camera64();
        BufferedImage mask = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = mask.createGraphics();
        g.setColor(Color.WHITE);
        g.fill(DEFECT);
        g.dispose();
        for (int i = 0; i < 8; i++) {
            String name = String.format("%03d", i);
            Files.write(dir.resolve("test/good/" + name + ".png"), ImageEncoding.png(gray(camera.frame(5000 + i).image())));
            Files.write(dir.resolve("test/paint/" + name + ".png"), ImageEncoding.png(painted(camera.frame(6000 + i).image(), DEFECT)));
            Files.write(dir.resolve("ground_truth/paint/" + name + "_mask.png"), ImageEncoding.png(mask));
        }
        Path json = tmp.resolve("mvtec.json");
        CliTest.Run r = CliTest.run("evaluate", "--model", TestModels.detector().toString(), "--normal", "mvtec:" + dir + "@good", "--anomalous",
                "mvtec:" + dir + "@defects", "--json", json.toString(), "--device", "cpu");
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("anomalous: mvtec:" + dir + "@defects: 8 images"), r.out);
        JsonObject o = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals(8, o.get("anomalous_regions").getAsInt());
        assertEquals(8 * 8 * 8, o.get("anomalous_pixels").getAsLong()); // the 16 x 16 square is 8 x 8 of the grid
        assertEquals(16 * 32 * 32, o.get("pixels").getAsLong());
        // a square of the opposite level is what a reconstruction map finds best
        assertTrue(o.get("pixel_auroc").getAsDouble() > 0.8, r.out);
        assertTrue(o.get("aupro").getAsDouble() > 0.3, r.out);

        // the test folder given whole counts its good images as anomalies: measured, with a warning
        CliTest.Run whole = CliTest.run("evaluate", "--model", TestModels.detector().toString(), "--normal", "mvtec:" + dir + "@good",
                "--anomalous", dir.resolve("test").toString(), "--device", "cpu");
        assertEquals(0, whole.code, whole.err);
        assertTrue(whole.err.contains("warning: --anomalous holds 8 image(s) of good/, counted as anomalies; for MVTec AD use --normal"
                + " mvtec:DIR@good --anomalous mvtec:DIR@defects"), whole.err);
        assertTrue(whole.out.contains("pixel AUROC "), whole.out);
    }
}
