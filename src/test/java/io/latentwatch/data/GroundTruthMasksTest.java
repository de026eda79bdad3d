package io.latentwatch.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.frames.ImageEncoding;
import io.latentwatch.frames.synthetic.AnomalyKind;
import io.latentwatch.frames.synthetic.CameraFrame;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Masks of synthetic frames and of MVTec-layout folders, in a model's grid, and the mvtec: spec. */
class GroundTruthMasksTest {

    @TempDir Path tmp;

    /** A category folder: train/good (2), test/good (2), test/crack (2 with masks), ground_truth/crack. 64 x 64 gray. */
    private Path mvtec() throws Exception {
        Path dir = tmp.resolve("bottle");
        for (String d : new String[] {"train/good", "test/good", "test/crack", "ground_truth/crack"}) {
            Files.createDirectories(dir.resolve(d));
        }
        BufferedImage plain = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY);
        for (String f : new String[] {"train/good/000.png", "train/good/001.png", "test/good/000.png", "test/good/001.png", "test/crack/000.png",
            "test/crack/001.png"}) {
            Files.write(dir.resolve(f), ImageEncoding.png(plain));
        }
        // crack 000: the square x 16-31, y 16-31; crack 001: x 0-7, y 56-63
        Files.write(dir.resolve("ground_truth/crack/000_mask.png"), ImageEncoding.png(mask(new Rectangle(16, 16, 16, 16))));
        Files.write(dir.resolve("ground_truth/crack/001_mask.png"), ImageEncoding.png(mask(new Rectangle(0, 56, 8, 8))));
        return dir;
    }

    private static BufferedImage mask(Rectangle r) {
        BufferedImage m = new BufferedImage(64, 64, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = m.createGraphics();
        g.setColor(Color.WHITE);
        g.fill(r);
        g.dispose();
        return m;
    }

    private static int count(boolean[] mask) {
        int n = 0;
        for (boolean b : mask) {
            n += b ? 1 : 0;
        }
        return n;
    }

    @Test
    void mvtecMasksAreReadResizedToTheGridAndGoodImagesHaveEmptyOnes() throws Exception {
        Path dir = mvtec();
        ImageDataset defects = DatasetSpec.parse("mvtec:" + dir + "@defects").open();
        assertEquals(2, defects.size());
        assertEquals("crack", defects.label(0));
        GroundTruthMasks gt = GroundTruthMasks.of(defects);
        boolean[] m = gt.mask(0, 32);
        // grid pixel x takes mask pixel 2x + 1: x 8-15, y 8-15
        assertEquals(64, count(m));
        assertTrue(m[8 * 32 + 8] && m[15 * 32 + 15] && !m[7 * 32 + 8] && !m[16 * 32 + 15]);
        boolean[] corner = gt.mask(1, 32);
        assertEquals(16, count(corner));
        assertTrue(corner[31 * 32]);

        ImageDataset good = DatasetSpec.parse("mvtec:" + dir + "@good").open();
        assertEquals(2, good.size());
        assertEquals(0, count(GroundTruthMasks.of(good).mask(1, 32)));
        // the whole test folder as a plain folder: good and defects, each with its mask
        ImageDataset test = DatasetSpec.parse(dir.resolve("test").toString()).open();
        GroundTruthMasks all = GroundTruthMasks.of(test);
        assertEquals("crack/000.png", test.name(0));
        assertEquals(64, count(all.mask(0, 32)));
        assertEquals(0, count(all.mask(2, 32)));
        assertEquals(2, DatasetSpec.parse("mvtec:" + dir + "@train").open().size());
        assertEquals(2, DatasetSpec.parse("mvtec:" + dir + "@crack").open().size());
    }

    @Test
    void foldersOutsideTheLayoutHaveNoMasksAndAMissingMaskIsNamed() throws Exception {
        Path dir = mvtec();
        assertNull(GroundTruthMasks.of(DatasetSpec.parse(dir.resolve("train").toString()).open()));
        Files.delete(dir.resolve("ground_truth/crack/001_mask.png"));
        ImageDataset defects = DatasetSpec.parse("mvtec:" + dir + "@defects").open();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GroundTruthMasks.of(defects));
        assertTrue(e.getMessage().startsWith("no ground-truth mask " + dir.resolve("ground_truth/crack/001_mask.png").toAbsolutePath()), e.getMessage());
    }

    @Test
    void mvtecSpecsNeedAPartAndAnExistingDefect() throws Exception {
        Path dir = mvtec();
        DatasetSpec s = DatasetSpec.parse("mvtec:" + dir + "@Good");
        assertEquals(DatasetSpec.Kind.MVTEC, s.kind());
        assertEquals("good", s.mvtecPart());
        assertEquals(s, DatasetSpec.parse(s.toString()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DatasetSpec.parse("mvtec:" + dir));
        assertEquals("dataset spec 'mvtec:" + dir + "' needs a part: mvtec:DIR@train, mvtec:DIR@good, mvtec:DIR@defects or mvtec:DIR@DEFECT",
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DatasetSpec.parse("mvtec:" + dir + "@scratch"));
        assertTrue(e.getMessage().endsWith("the defects here: crack"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DatasetSpec.parse("mvtec:" + tmp + "@good"));
        assertTrue(e.getMessage().contains("is not an MVTec AD category folder"), e.getMessage());
    }

    @Test
    void syntheticMasksAreTheBoxScaledOutwards() {
        SyntheticCamera camera = SyntheticCamera.builder().imageSize(64).channels(1).anomalyRate(1).optAnomalyKinds(AnomalyKind.FOREIGN_OBJECT).build();
        SyntheticDataset set = new SyntheticDataset(camera, 10, 3);
        GroundTruthMasks gt = GroundTruthMasks.of(set);
        CameraFrame f = set.frame(1);
        Rectangle b = f.region();
        assertFalse(b.isEmpty());
        boolean[] m = gt.mask(1, 32);
        int x0 = b.x / 2;
        int y0 = b.y / 2;
        int x1 = (b.x + b.width + 1) / 2;
        int y1 = (b.y + b.height + 1) / 2;
        assertEquals((x1 - x0) * (y1 - y0), count(m));
        assertTrue(m[y0 * 32 + x0] && m[(y1 - 1) * 32 + x1 - 1]);
        assertEquals(0, count(GroundTruthMasks.of(new SyntheticDataset(SyntheticCamera.builder().imageSize(64).build(), 10, 1)).mask(0, 32)));

        boolean[] one = new boolean[4 * 4];
        GroundTruthMasks.fromBox(new Rectangle(5, 5, 1, 1), 16, 4, one); // a pixel of 16 still covers one of 4
        assertArrayEquals(new boolean[] {F, F, F, F, F, T, F, F, F, F, F, F, F, F, F, F}, one);
    }

    private static final boolean T = true;
    private static final boolean F = false;
}
