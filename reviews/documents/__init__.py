"""The documents: stamp-ready PDFs and their ZIP, stamped scans, the 一览表 exports, the
推荐报送 paper trail."""
